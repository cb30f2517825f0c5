import sys

from pgm.cli import main

sys.exit(main())
