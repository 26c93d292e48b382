"""`bgr`: the command-line client of the Background Remover Pro API."""
