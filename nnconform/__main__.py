from nnconform.cli import main

raise SystemExit(main())
