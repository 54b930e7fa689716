"""People of the registry seed (extension-service/gerbang_sidecar/fake_registry/seed.json,
docs/registries.md) that unit tests refer to by their identifiers."""

# Siti Rahmawati: a local investor (NIK at Dukcapil, SID at KSEI).
SITI_NIK = "3171015203900001"
SITI_SID = "IDD120390482615"
SITI_PHONE = "+6281234567801"
