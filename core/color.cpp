#include "colorize/color.h"
