//! The language's limits as a user meets them: sensitive values used as keys, and the caps
//! on module instances, file sizes and function results (engine/src/limits.rs).

use crate::support::Workdir;

const SECRET_KEY_CONFIG: &str = r#"
variable "p" {
  type      = string
  default   = "hunter2"
  sensitive = true
}
output "m" {
  value = { for k in [var.p] : k => 1 }
}
"#;

/// A sensitive value used as a `for` key marks the whole object, as in Terraform: a
/// non-sensitive output refusing it, a sensitive one never printing the key.
#[test]
fn a_sensitive_for_key_marks_the_whole_object() {
    let w = Workdir::new();
    w.write("main.hcl", SECRET_KEY_CONFIG);
    for command in [&["plan"][..], &["apply", "--auto-approve"]] {
        let out = w.corral(command);
        assert_ne!(out.code, 0, "{command:?}: {out:?}");
        assert!(out.stderr.contains("Output refers to sensitive values"), "{out:?}");
        assert!(!out.stdout.contains("hunter2") && !out.stderr.contains("hunter2"), "{out:?}");
    }

    w.write("main.hcl", &SECRET_KEY_CONFIG.replace("value = {", "sensitive = true\n  value = {"));
    for command in [&["plan"][..], &["apply", "--auto-approve"], &["output"], &["show"]] {
        let out = w.ok(command);
        assert!(!out.stdout.contains("hunter2") && !out.stderr.contains("hunter2"), "{command:?}: {out:?}");
    }
    // `corral output m` prints the value, as `terraform output NAME` does on request.
    let state = w.state();
    let stored = state.outputs.get("m").expect("output m in state");
    assert!(stored.sensitive, "{stored:?}");
}

/// Runs `corral console` on one expression in an empty directory, with extra environment.
fn console(w: &Workdir, expression: &str, env: &[(&str, &str)]) -> crate::support::Output {
    let mut command = w.command(&["console"]);
    command.envs(env.iter().copied());
    let out = crate::support::run_with_stdin(command, expression);
    crate::support::Output { stderr: flat(&out.stderr), ..out }
}

/// A rendered diagnostic as one line: the wrapping and the box drawing removed.
fn flat(text: &str) -> String {
    text.split_whitespace().filter(|word| *word != "│").collect::<Vec<_>>().join(" ")
}

/// Functions whose output size the input chooses are refused before they allocate, with
/// the limit, its value and the variable that raises it (the fuzzer's 2 GB `indent`).
#[test]
fn oversized_function_results_are_refused_before_they_are_built() {
    let w = Workdir::new();
    let started = std::time::Instant::now();
    for (expression, function, limit) in [
        (r#"indent(1000001*2000, "\n\u0001")"#, "indent", "CORRAL_MAX_STRING_BYTES"),
        (r#"format("%99999999999d", 1)"#, "format", "CORRAL_MAX_STRING_BYTES"),
        (r#"formatlist("%60000000s", ["a", "b", "c"])"#, "formatlist", "CORRAL_MAX_STRING_BYTES"),
        (r#"join(format("%60000000s", "a"), ["a", "b", "c"])"#, "join", "CORRAL_MAX_STRING_BYTES"),
        (r#"replace("aaaaaaaaaa", "a", format("%10000000s", ""))"#, "replace", "CORRAL_MAX_STRING_BYTES"),
        ("setproduct(range(1000), range(1000), range(1000))", "setproduct", "CORRAL_MAX_COLLECTION_ELEMENTS"),
    ] {
        let out = console(&w, expression, &[]);
        assert!(out.stderr.contains(&format!("Call to function \"{function}\" failed")), "{expression}: {out:?}");
        assert!(out.stderr.contains(limit) && out.stderr.contains("over the limit of"), "{expression}: {out:?}");
        assert!(out.stderr.contains("<console-input>:1:"), "{expression}: {out:?}");
    }
    let out = console(&w, r#""%{for i in range(1000)}${format("%100000s", i)}%{endfor}""#, &[]);
    assert!(out.stderr.contains("Template result too long"), "{out:?}");
    assert!(started.elapsed() < std::time::Duration::from_secs(60), "took {:?}", started.elapsed());
}

#[test]
fn the_limits_can_be_changed_from_the_environment() {
    let w = Workdir::new();
    let out = console(&w, r#"format("%20s", "a")"#, &[("CORRAL_MAX_STRING_BYTES", "10")]);
    assert!(out.stderr.contains("over the limit of 10 bytes; set CORRAL_MAX_STRING_BYTES=N"), "{out:?}");
    // Nested `for`s multiply: their iterations are counted together.
    let nested = "length([for a in range(100) : [for b in range(100) : b]])";
    let out = console(&w, nested, &[("CORRAL_MAX_COLLECTION_ELEMENTS", "1000")]);
    assert!(out.stderr.contains("Expression too large"), "{out:?}");
    assert!(out.stderr.contains("set CORRAL_MAX_COLLECTION_ELEMENTS=N"), "{out:?}");
    let template = r#""%{for a in range(100)}%{for b in range(100)}x%{endfor}%{endfor}""#;
    let out = console(&w, template, &[("CORRAL_MAX_COLLECTION_ELEMENTS", "1000")]);
    assert!(out.stderr.contains("Template too large"), "{out:?}");
    assert_eq!(console(&w, nested, &[]).stdout.trim(), "100");
    let out = console(&w, r#"length(format("%20s", "a"))"#, &[]);
    assert_eq!(out.stdout.trim(), "20", "{out:?}");
}

#[cfg(unix)]
#[test]
fn file_of_an_endless_stream_fails_fast() {
    let w = Workdir::new();
    let started = std::time::Instant::now();
    let out = console(&w, r#"file("/dev/zero")"#, &[]);
    assert!(out.stderr.contains("/dev/zero is too large"), "{out:?}");
    assert!(out.stderr.contains("CORRAL_MAX_FILE_BYTES"), "{out:?}");
    assert!(started.elapsed() < std::time::Duration::from_secs(20), "took {:?}", started.elapsed());
    w.write("big.txt", &"x".repeat(2000));
    let out = console(&w, r#"file("big.txt")"#, &[("CORRAL_MAX_FILE_BYTES", "1000")]);
    assert!(out.stderr.contains("the file size would be 2000 bytes, over the limit of 1000 bytes"), "{out:?}");
}

/// Module `m{i}` calls `m{i+1}` twice, `levels` deep: 2^levels instances from a few files.
fn doubling_tree(w: &Workdir, levels: usize) {
    for i in 0..levels {
        let body = if i + 1 < levels {
            format!(
                "module \"a\" {{\n  source = \"../m{n}\"\n}}\nmodule \"b\" {{\n  source = \"../m{n}\"\n}}\n",
                n = i + 1
            )
        } else {
            "output \"o\" {\n  value = 1\n}\n".to_string()
        };
        w.write(&format!("m{i}/main.hcl"), &body);
    }
    w.write("main.hcl", "module \"a\" {\n  source = \"./m0\"\n}\nmodule \"b\" {\n  source = \"./m0\"\n}\n");
}

#[test]
fn a_module_tree_over_the_instance_limit_is_refused_by_validate() {
    let w = Workdir::new();
    doubling_tree(&w, 7); // 2 + 4 + ... + 256 = 510 module instances
    w.ok(&["validate"]);
    let mut command = w.command(&["validate"]);
    command.env("CORRAL_MAX_MODULE_INSTANCES", "100");
    let out = command.output().unwrap();
    let stderr = flat(&String::from_utf8_lossy(&out.stderr));
    assert!(!out.status.success(), "{stderr}");
    assert!(stderr.contains("Too many module instances"), "{stderr}");
    assert!(stderr.contains("over the limit of 100 instances; set CORRAL_MAX_MODULE_INSTANCES=N"), "{stderr}");
    assert!(stderr.contains("main.hcl:"), "{stderr}");

    let mut command = w.command(&["validate"]);
    command.env("CORRAL_MAX_MODULE_DEPTH", "3");
    let out = command.output().unwrap();
    let stderr = flat(&String::from_utf8_lossy(&out.stderr));
    assert!(stderr.contains("Modules nested too deeply"), "{stderr}");
    assert!(stderr.contains("over the limit of 3 levels; set CORRAL_MAX_MODULE_DEPTH=N"), "{stderr}");
}

/// The issue's case: 18 levels of modules calling the next one twice (2^19 instances from
/// a few files). The loader stops at the limit instead of reading the whole tree into memory.
#[test]
fn a_doubling_module_tree_is_refused_while_it_is_read() {
    let w = Workdir::new();
    doubling_tree(&w, 18);
    let started = std::time::Instant::now();
    let out = w.corral(&["validate"]);
    let stderr = flat(&out.stderr);
    assert_ne!(out.code, 0, "{stderr}");
    assert!(stderr.contains("Too many module instances"), "{stderr}");
    assert!(stderr.contains("over the limit of 10000 instances"), "{stderr}");
    assert_eq!(stderr.matches("Too many module instances").count(), 1, "reported once: {stderr}");
    assert!(started.elapsed() < std::time::Duration::from_secs(60), "took {:?}", started.elapsed());
}

#[test]
fn a_module_count_over_the_instance_limit_is_refused_by_plan() {
    let w = Workdir::new();
    w.write("child/main.hcl", "output \"o\" {\n  value = 1\n}\n");
    w.write("main.hcl", "module \"many\" {\n  source = \"./child\"\n  count  = 20000\n}\n");
    let mut out = w.corral(&["plan"]);
    out.stderr = flat(&out.stderr);
    assert_ne!(out.code, 0, "{out:?}");
    assert!(out.stderr.contains("Too many module instances"), "{out:?}");
    assert!(out.stderr.contains("CORRAL_MAX_MODULE_INSTANCES"), "{out:?}");
    assert!(out.stderr.contains("main.hcl:3:"), "{out:?}");
}
