#include "colorize/metadata.h"
