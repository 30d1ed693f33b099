"""Storage: tables, sessions, queries, set-based writes, migrations. No business rules."""
