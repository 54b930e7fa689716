"""AKSes rules (A1–A8), pure: the registration form, what the registries' answers decide,
what an eligible registration becomes in Keycloak, and forgot password's lookups."""
