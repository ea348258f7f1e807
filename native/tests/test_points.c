#include "suite.h"
void test_points(void) {}
