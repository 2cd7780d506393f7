"""Case reports (HTML and PDF) and the base layers their maps are drawn from."""

from pingan.reports.case_report import ExportedReport, export_case_report

__all__ = ["ExportedReport", "export_case_report"]
