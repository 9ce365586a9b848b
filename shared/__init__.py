"""tidi core: settings, data layer, domain services and the API contract."""
