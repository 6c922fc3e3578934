"""auditor: an offline, bilingual (Persian + English) quality auditor for support conversations.

Data flows one way: ingest -> normalize -> detect -> score -> report, driven by cli.
"""

__version__ = "0.1.0"
