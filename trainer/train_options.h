// The training options described once (train_options.cpp): each row of one
// table gives an option's command-line form, its key in a run's state.json
// and what a resumed run does with it. The parsers of the command line and
// of state.json, and the merge on --resume, all walk that table.
#pragma once

#include <glib.h>
#include <json-glib/json-glib.h>

#include "options.h"

namespace colorize::train {

/// Adds the training options to `group` (GLib GOptionGroup); their values
/// land in `o`, and their long names in `o.given`. The group must not
/// outlive `o`.
GOptionGroup *train_option_group(TrainOptions &o);

/// The saved options of `o` as the members of the object `b` is building.
void add_options_json(JsonBuilder *b, const TrainOptions &o);

/// The saved options from a state.json "options" object into `o`; a key
/// that is missing keeps `o`'s value, or the value runs had before the
/// option existed. An unknown enum value or a wrong type throws
/// std::runtime_error naming `origin` and the key.
void read_options_json(JsonObject *object, TrainOptions &o, const std::string &origin);

}  // namespace colorize::train
