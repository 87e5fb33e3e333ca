/* The smallest Strata program: prints the LevelDB API version it links to. */
#include <stdio.h>

#include "leveldb/c.h"

int main(void) {
  printf("LevelDB API %d.%d\n", leveldb_major_version(), leveldb_minor_version());
  return 0;
}
