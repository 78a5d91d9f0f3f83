"""Reading bank statements: CAMT.053/.054, OFX/QFX, MT940, CSV and XLSX into plain values."""
