from spine_gates.cli import main

raise SystemExit(main())
