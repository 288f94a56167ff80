"""The evidence pack: one ZIP with everything an inspection asks for about a period (the A4 report as a PDF, the
figures as XLSX, the shops' photos, the ledger's entries with their proof, the verifier and an index), built in
the background and kept in the database until it expires."""
