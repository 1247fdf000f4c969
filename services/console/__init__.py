"""The web console: the stack's status, test data, traffic, faults, login, records and mailboxes."""
