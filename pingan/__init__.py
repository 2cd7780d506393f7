"""pingan (平安): crime analysis for a city police force, on its own machines.

The library holds all the logic; the CLI (`pingan.cli`), the REST API (`pingan.api`) and the web
workbench only parse input, call the library and render its answers.
"""

__version__ = "0.1.0"
