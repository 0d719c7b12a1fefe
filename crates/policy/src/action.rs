//! The agent-neutral form of a tool call. Adapters build these from each
//! agent's hook protocol; nothing below them knows which agent is calling.

use std::path::PathBuf;

/// What a tool call would do.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Action {
    /// Run a shell command line.
    Exec { command: String },
    /// Read a file.
    Read { path: String },
    /// Create or change a file (Write, Edit, MultiEdit, NotebookEdit). `content` is the new text when known:
    /// the whole file for a Write, the replacement texts for an Edit, which also lists its `edits`.
    Write {
        path: String,
        content: Option<String>,
        edits: Vec<TextEdit>,
    },
    /// List names matching a glob (Glob tool).
    List {
        path: Option<String>,
        pattern: String,
    },
    /// Search file contents (Grep tool). `content` is false when only file names are returned.
    Search {
        path: Option<String>,
        glob: Option<String>,
        content: bool,
    },
    /// Fetch a URL.
    Fetch { url: String },
    /// Search the web.
    WebSearch { query: String },
    /// Start a subagent.
    Agent { subagent_type: Option<String> },
    /// Anything else: decided by the tool rules alone (MCP tools, TodoWrite, …).
    Other,
    /// A tool the adapter does not know: denied unless a tool rule names it.
    Unknown,
}

/// One replacement of an Edit or MultiEdit: `old` becomes `new`, once or everywhere.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TextEdit {
    pub old: String,
    pub new: String,
    pub all: bool,
}

/// One tool call to decide.
#[derive(Clone, Debug)]
pub struct Request {
    /// The tool's name as the agent calls it (`Bash`, `Read`, `mcp__github__create_issue`).
    pub tool: String,
    pub action: Action,
    /// The directory the call runs in.
    pub cwd: PathBuf,
    /// The project root (relative patterns are anchored here).
    pub project: PathBuf,
    /// The home directory (`~` and `$HOME`).
    pub home: PathBuf,
    /// The subagent type making the call, when it is a subagent.
    pub agent_type: Option<String>,
}
