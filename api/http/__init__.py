"""HTTP: the app factory, dependencies, errors, schemas, routes by resource, /ws and exports."""
