//! Hand-written labelled cases for the classes of false positive found on
//! real projects (names matched by name alone, definitions read as calls,
//! docstrings read as code, implicit string concatenation, safe API forms,
//! stand-in values), each with its insecure twin so a fix cannot buy
//! precision with recall.

use ztguard_code::{Language, check};

/// (language, code, the rule that must be found — or None for nothing at all).
const CASES: &[(&str, &str, Option<&str>)] = &[
    // ---- JavaScript: `exec` is child_process's only when bound to it.
    (
        "js",
        "const { exec } = require('child_process');\nconst re = /v(\\d+)/g;\nconst m = re.exec(body);\n",
        None,
    ),
    (
        "js",
        "const cp = require('child_process');\nwhile ((m = regexp.exec(log))) {}\n",
        None,
    ),
    (
        "js",
        "import { execSync } from 'child_process';\nconst m = /x/.exec(process.version);\n",
        None,
    ),
    (
        "js",
        "const {exec} = require('child_process');\nexec(`git show ${tag}`);\n",
        Some("js-command-injection"),
    ),
    (
        "js",
        "const { exec: run } = require('node:child_process');\nrun('ls ' + dir);\n",
        Some("js-command-injection"),
    ),
    (
        "js",
        "const cp = require('child_process');\ncp.spawn(command, args, { shell: true });\n",
        Some("js-command-injection"),
    ),
    (
        "js",
        "import * as cp from 'child_process';\ncp.execSync(cmd);\n",
        Some("js-command-injection"),
    ),
    (
        "js",
        "import cp from 'node:child_process';\nconst sh = cp;\nsh.exec(cmd);\n",
        Some("js-command-injection"),
    ),
    (
        "js",
        "const util = require('util');\nconst cp = require('child_process');\nconst run = util.promisify(cp.exec);\nawait run(`npm test --prefix ${p}`);\n",
        Some("js-command-injection"),
    ),
    (
        "js",
        "import util from 'util';\nimport cp from 'child_process';\nexport const exec = util.promisify(cp.exec);\nawait exec(`git cat-file -s ${sha}`);\n",
        Some("js-command-injection"),
    ),
    (
        "js",
        "const exec = require('child_process').exec;\nexec(command, {maxBuffer: 1024});\n",
        Some("js-command-injection"),
    ),
    (
        "js",
        "require('child_process').exec(cmd);\n",
        Some("js-command-injection"),
    ),
    // A method definition named exec is not a call.
    (
        "js",
        "const cp = require('child_process');\nclass Shell {\n  exec(command) {\n    return cp.execFile('ls', [command]);\n  }\n}\n",
        None,
    ),
    // ---- A message handler that checks the sender's window.
    (
        "js",
        "_global.addEventListener('message', ({source, data}) => {\n  if (source === _global && data === token) { cbs.shift()(); }\n}, false);\n",
        None,
    ),
    (
        "js",
        "window.addEventListener('message', (e) => {\n  run(e.data);\n});\n",
        Some("js-message-origin-unchecked"),
    ),
    // ---- express: the `root` option is the safe form.
    (
        "js",
        "app.get('/f/:file(*)', (req, res, next) => {\n  res.download(req.params.file, { root: FILES_DIR }, next);\n});\n",
        None,
    ),
    (
        "js",
        "res.sendFile(req.query.name, { root: __dirname + '/public' });\n",
        None,
    ),
    (
        "js",
        "res.download(req.params.file);\n",
        Some("js-path-traversal"),
    ),
    (
        "js",
        "res.sendFile(path.join(__dirname, req.query.name), { maxAge: 0 });\n",
        Some("js-path-traversal"),
    ),
    // ---- Python: a class statement is not a call.
    (
        "py",
        "from jinja2 import Environment as BaseEnvironment\nclass Environment(BaseEnvironment):\n    pass\n",
        None,
    ),
    ("py", "def exec(code):\n    return code\n", None),
    (
        "py",
        "from jinja2 import Environment\nenv = Environment(loader=loader)\n",
        Some("py-jinja2-autoescape-off"),
    ),
    // ---- Python: a docstring is documentation.
    (
        "py",
        "class Config:\n    \"\"\"Load settings.\n\n        SECRET_KEY = \"development key\"\n        os.system(\"rm \" + path)\n    \"\"\"\n",
        None,
    ),
    (
        "py",
        "def run(path):\n    '''Run it: os.system(cmd + path).'''\n    return 1\n",
        None,
    ),
    // A triple-quoted value is not a docstring.
    (
        "py",
        "import os\nSECRET_KEY = \"\"\"kU8#pq2Lm9zR\"\"\"\nos.system(\"rm \" + path)\n",
        Some("py-command-injection"),
    ),
    (
        "py",
        "def f(path):\n    \"\"\"Doc.\"\"\"\n    os.system(\"rm \" + path)\n",
        Some("py-command-injection"),
    ),
    // ---- Python: adjacent literals are one literal.
    (
        "py",
        "posts = db.execute(\n    \"SELECT p.id, title, body\"\n    \" FROM post p JOIN user u ON p.author_id = u.id\"\n    \" ORDER BY created DESC\"\n).fetchall()\n",
        None,
    ),
    (
        "py",
        "cur.execute(\"\"\"SELECT id FROM users WHERE active = 1\"\"\")\n",
        None,
    ),
    (
        "py",
        "cur.execute(\"SELECT * FROM t \" f\"WHERE id = {uid}\")\n",
        Some("py-sql-injection"),
    ),
    (
        "py",
        "cur.execute(\"SELECT * FROM t WHERE id = \" + uid)\n",
        Some("py-sql-injection"),
    ),
    // ---- Python: names that describe, and values that stand in.
    (
        "py",
        "oauth2_scheme = OAuth2PasswordBearer(tokenUrl=\"token\")\n",
        None,
    ),
    (
        "py",
        "user = User(password_hash=\"fakehashedsecret\")\n",
        None,
    ),
    (
        "py",
        "def login(username=\"alice\", password=\"test\"):\n    pass\n",
        None,
    ),
    ("py", "apiKey = \"apiKey\"\n", None),
    (
        "py",
        "DB_PASSWORD = \"Tr0ub4dor&3x\"\n",
        Some("py-hardcoded-password"),
    ),
    (
        "py",
        "def connect(password=\"Sup3r-s3cr3t-2024\"):\n    pass\n",
        Some("py-hardcoded-password"),
    ),
    (
        "py",
        "apiToken = \"q8Zr2mLw0pX\"\n",
        Some("py-hardcoded-password"),
    ),
    // ---- Python: names shared with safe APIs.
    ("py", "d = tmp_path_factory.mktemp(\"certs\")\n", None),
    (
        "py",
        "import tempfile\npath = tempfile.mktemp()\n",
        Some("py-insecure-temp-file"),
    ),
    (
        "py",
        "from tempfile import mktemp\npath = mktemp()\n",
        Some("py-insecure-temp-file"),
    ),
    (
        "py",
        "import pickle\nr2 = pickle.loads(pickle.dumps(r))\n",
        None,
    ),
    (
        "py",
        "import pickle\nobj = pickle.loads(request.data)\n",
        Some("py-insecure-deserialization"),
    ),
    // ---- Go: a method definition is not a call.
    (
        "go",
        "func (c *Client) Exec(cmd string) error {\n\treturn nil\n}\n",
        None,
    ),
];

#[test]
fn labelled_cases() {
    let mut wrong = Vec::new();
    for (lang, code, want) in CASES {
        let l = Language::from_name(lang).unwrap_or(Language::Python);
        let found = check(l, code);
        let ok = match want {
            None => found.is_empty(),
            Some(rule) => found.iter().any(|f| f.rule_id == *rule),
        };
        if !ok {
            wrong.push(format!(
                "{lang}: want {want:?}, found {:?}\n{code}",
                found.iter().map(|f| f.rule_id).collect::<Vec<_>>()
            ));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n---\n"));
}
