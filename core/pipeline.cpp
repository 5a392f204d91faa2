#include "colorize/pipeline.h"
