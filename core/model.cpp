#include "colorize/model.h"
