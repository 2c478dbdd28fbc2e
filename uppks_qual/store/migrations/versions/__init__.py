"""One module per schema revision; each defines the tables as they were at its revision."""
