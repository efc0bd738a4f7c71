"""The SQL console page (`g q`, docs/sql-console.md): editor, schema browser, results."""
