from gerbang_ops.provision.cli import main

raise SystemExit(main())
