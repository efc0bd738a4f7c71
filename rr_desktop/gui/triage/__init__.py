"""The triage list: model (ids + lazy row window), table view and detail pane."""
