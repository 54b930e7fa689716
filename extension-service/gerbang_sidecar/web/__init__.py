"""HTTP entry points: thin blueprints that parse, call a service and render."""
