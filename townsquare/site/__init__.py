"""The operator's settings kept in the database: feature switches (more with the operator's kit)."""
