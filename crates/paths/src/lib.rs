/*!
Paths as the guard must see them.

* [`resolve`] turns what an agent wrote (`../x`, `~/.ssh/id_rsa`,
  `$HOME/.aws`, a relative path after a `cd`) into an absolute path, both
  lexically ([`Resolved::lexical`]) and physically with every symlink
  followed ([`Resolved::real`]) — also when the last components do not exist
  yet, so a write through a dangling link is seen for what it is.
* [`expand_glob`] expands a shell glob against the real tree, so `cat .e*`
  is known to read `.env`.
* [`Pattern`] and [`PatternList`] are gitignore-style path rules anchored at
  the project root, the home directory or `/`.
* [`scan_tree`] looks inside a directory that a command reads recursively.
* [`tracked_files`] lists what a git repository's index tracks.

Patterns are matched by a small component-wise wildcard matcher instead of
compiled regexes: a hook process starts fresh on every tool call, and
compiling a regex set for each policy pattern (~5 µs a pattern, measured)
would dominate its budget for large policies. Matching here needs no
compilation at all.
*/

mod glob;
mod pattern;
mod resolve;
mod tracked;
mod tree;

pub use glob::{GlobExpansion, expand_glob, on_stack, wildmatch};
pub use pattern::{Anchor, Anchors, KeyMatcher, Pattern, PatternList};
pub use resolve::{Resolved, display, is_within, lexical_normalize, real_path, resolve, user_home};
pub use tracked::{
    IndexError, TrackedFile, parse_index, repository, tracked_files, tracked_files_where,
};
pub use tree::{TreeScan, Walk, scan_tree, scan_tree_with};
