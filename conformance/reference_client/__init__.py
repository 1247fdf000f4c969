"""A small LPS that does every scenario right (``--driver reference``) and its mutants (``reference:NAME``)."""
