import sys

from pingan.cli import main

sys.exit(main())
