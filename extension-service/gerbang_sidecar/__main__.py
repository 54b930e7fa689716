from gerbang_sidecar.cli import main

raise SystemExit(main())
