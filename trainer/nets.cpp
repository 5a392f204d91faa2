#include "nets.h"
