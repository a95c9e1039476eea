#!/usr/bin/env python3
"""usage: sandbox_check.py UNIT STRACE_LOG

Whether what a process did (an `strace -f` log) stays within what the unit's sandbox allows, so that systemd
would not stop it: every system call is in the unit's SystemCallFilter= (groups expanded by systemd-analyze, in
systemd's order: the first allow list, then later lists adding to it and ~lists taking away), every socket is of
a family in RestrictAddressFamilies=, with MemoryDenyWriteExecute=yes no mapping is writable and executable at
once, and with RestrictNamespaces=yes no namespace is made or joined. Prints the calls seen; exits 1 naming each
violation.
"""
import re
import subprocess
import sys


def directives(unit_path, name):
    values = []
    for line in open(unit_path, encoding="utf-8"):
        line = line.strip()
        if line.startswith(name + "="):
            values.append(line[len(name) + 1:])
    return values


group_cache = {}


def expand(item):
    """A system call name, or every name in a @group (recursively), as systemd-analyze lists them."""
    if not item.startswith("@"):
        return {item}
    if item not in group_cache:
        listing = subprocess.run(["systemd-analyze", "syscall-filter", item], check=True, capture_output=True,
                                 text=True).stdout
        names = set()
        for line in listing.splitlines()[1:]:  # the first line is the group's own name
            line = line.strip()
            if line and not line.startswith("#"):
                names |= expand(line)
        if not names:
            sys.exit(f"systemd-analyze knows no system call group {item}")
        group_cache[item] = names
    return group_cache[item]


def syscall_policy(unit_path):
    """(allow_list, names): with allow_list, only names are allowed; otherwise names are denied."""
    allow_list, names = None, set()
    for value in directives(unit_path, "SystemCallFilter"):
        deny = value.startswith("~")
        items = set()
        for item in value.lstrip("~").split():
            items |= expand(item)
        if allow_list is None:
            allow_list, names = not deny, items
        elif allow_list != deny:
            names |= items
        else:
            names -= items
    return allow_list, names


def main():
    unit_path, log_path = sys.argv[1], sys.argv[2]
    allow_list, filtered = syscall_policy(unit_path)
    if allow_list is None:
        sys.exit("the unit has no SystemCallFilter=")
    families = set(" ".join(directives(unit_path, "RestrictAddressFamilies")).split())
    deny_wx = "yes" in directives(unit_path, "MemoryDenyWriteExecute")
    restrict_namespaces = "yes" in directives(unit_path, "RestrictNamespaces")

    call = re.compile(r"^\d+\s+(?:<\.\.\. )?([a-z_][a-z0-9_]*)(?:\(| resumed>)")
    seen, problems = {}, []
    for line in open(log_path, encoding="utf-8", errors="replace"):
        match = call.match(line)
        if not match:
            continue
        name = match.group(1)
        seen[name] = seen.get(name, 0) + 1
        rest = line[match.end():]
        if name in ("socket", "socketpair") and "resumed" not in line:
            family = rest.split(",", 1)[0].strip()
            if family not in families:
                problems.append(f"{name} of family {family}, outside RestrictAddressFamilies=: {line.strip()}")
        if restrict_namespaces and (name in ("unshare", "setns") or "CLONE_NEW" in rest):
            problems.append(f"a new namespace, which RestrictNamespaces= refuses: {line.strip()}")
        if deny_wx and name in ("mmap", "mprotect", "pkey_mprotect") and "PROT_WRITE" in rest and "PROT_EXEC" in rest:
            problems.append(f"a writable and executable mapping, which MemoryDenyWriteExecute= refuses: {line.strip()}")
    if not seen:
        sys.exit(f"no system calls in {log_path}")
    for name in sorted(seen):
        if (name not in filtered) if allow_list else (name in filtered):
            problems.append(f"system call {name} ({seen[name]} times) is outside SystemCallFilter=")
    print(f"{len(seen)} different system calls: {' '.join(sorted(seen))}")
    for problem in problems:
        print("FAIL:", problem, file=sys.stderr)
    sys.exit(1 if problems else 0)


if __name__ == "__main__":
    main()
