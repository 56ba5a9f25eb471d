"""The subject and inspector directories (R-SUBJ-*, R-INSP-*): tables, imports, queries, single writes."""
