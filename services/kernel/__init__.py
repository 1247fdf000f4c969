"""The shared kernel of socle: what every service stands on (settings, database, errors, traffic, FHIR, tokens)."""
