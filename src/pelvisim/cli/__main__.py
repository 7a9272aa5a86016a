import sys

from pelvisim.cli import main

sys.exit(main())
