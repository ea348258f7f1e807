#include "suite.h"
void test_bad_servers(void) {}
