from chronicle_ssg.cli import main

raise SystemExit(main())
