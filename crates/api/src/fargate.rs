//! The Fargate task size table: which memory sizes AWS accepts for each CPU size, and the CEL rules
//! generated from it that the AppStack CRD enforces at admission.
//!
//! The table lives here once; the CRD rules, their messages and the controller's checks are all
//! derived from it, so they cannot disagree.

use kube::core::{Message, Rule};

/// The memory sizes (MiB) Fargate accepts for one CPU size.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MemoryChoices {
    /// Exactly these values.
    List(&'static [i32]),
    /// `min..=max` in steps of `step`, starting at `min`.
    Range { min: i32, max: i32, step: i32 },
}

impl MemoryChoices {
    /// Whether `memory` (MiB) is one of the choices.
    pub fn contains(self, memory: i32) -> bool {
        match self {
            MemoryChoices::List(values) => values.contains(&memory),
            MemoryChoices::Range { min, max, step } => (min..=max).contains(&memory) && (memory - min) % step == 0,
        }
    }

    /// Every choice, smallest first.
    pub fn values(self) -> Vec<i32> {
        match self {
            MemoryChoices::List(values) => values.to_vec(),
            MemoryChoices::Range { min, max, step } => (min..=max).step_by(step as usize).collect(),
        }
    }

    /// Human text, e.g. `512, 1024 or 2048` or `1024 to 4096 in steps of 1024`.
    pub fn describe(self) -> String {
        match self {
            MemoryChoices::List(values) => {
                let text: Vec<String> = values.iter().map(i32::to_string).collect();
                match text.split_last() {
                    Some((last, rest)) if !rest.is_empty() => format!("{} or {last}", rest.join(", ")),
                    _ => text.join(""),
                }
            }
            MemoryChoices::Range { min, max, step } => format!("{min} to {max} in steps of {step}"),
        }
    }

    /// The CEL condition `memory` must meet (with `self` a service).
    fn cel(self) -> String {
        match self {
            MemoryChoices::List(values) => {
                let text: Vec<String> = values.iter().map(i32::to_string).collect();
                format!("self.memory in [{}]", text.join(", "))
            }
            MemoryChoices::Range { min, max, step } => {
                format!("self.memory >= {min} && self.memory <= {max} && (self.memory - {min}) % {step} == 0")
            }
        }
    }
}

/// Valid Fargate (Linux) task sizes: CPU units and the memory (MiB) allowed with each.
pub const TABLE: [(i32, MemoryChoices); 7] = [
    (256, MemoryChoices::List(&[512, 1024, 2048])),
    (512, MemoryChoices::Range { min: 1024, max: 4096, step: 1024 }),
    (1024, MemoryChoices::Range { min: 2048, max: 8192, step: 1024 }),
    (2048, MemoryChoices::Range { min: 4096, max: 16384, step: 1024 }),
    (4096, MemoryChoices::Range { min: 8192, max: 30720, step: 1024 }),
    (8192, MemoryChoices::Range { min: 16384, max: 61440, step: 4096 }),
    (16384, MemoryChoices::Range { min: 32768, max: 122880, step: 8192 }),
];

/// The CPU sizes Fargate offers.
pub fn cpu_sizes() -> impl Iterator<Item = i32> {
    TABLE.iter().map(|(cpu, _)| *cpu)
}

/// The memory choices for `cpu`, or `None` when Fargate has no such CPU size.
pub fn memory_choices(cpu: i32) -> Option<MemoryChoices> {
    TABLE.iter().find(|(c, _)| *c == cpu).map(|(_, m)| *m)
}

/// Whether Fargate accepts a task of `cpu` units and `memory` MiB.
pub fn is_valid(cpu: i32, memory: i32) -> bool {
    memory_choices(cpu).is_some_and(|m| m.contains(memory))
}

/// The whole table as one line: `256: 512, 1024 or 2048; 512: 1024 to 4096 in steps of 1024; ...`.
pub fn describe_table() -> String {
    let rows: Vec<String> = TABLE.iter().map(|(cpu, m)| format!("{cpu}: {}", m.describe())).collect();
    rows.join("; ")
}

/// CEL rule (on a service): `cpu` is a Fargate CPU size.
pub fn cpu_rule() -> Rule {
    let sizes: Vec<String> = cpu_sizes().map(|c| c.to_string()).collect();
    Rule::new(format!("self.cpu in [{}]", sizes.join(", ")))
        .message(Message::Message(format!(
            "cpu must be a Fargate CPU size: one of {} (units of 1/1024 vCPU)",
            sizes.join(", ")
        )))
        .field_path(".cpu")
}

/// CEL rule (on a service): `memory` is valid for `cpu`. The message names the memory sizes allowed
/// for the chosen cpu, followed by the whole table.
pub fn memory_rule() -> Rule {
    let mut rule = String::new();
    let mut choice = String::new();
    for (cpu, memory) in TABLE {
        rule.push_str(&format!("self.cpu == {cpu} ? ({}) : ", memory.cel()));
        choice.push_str(&format!("self.cpu == {cpu} ? 'with cpu {cpu}, memory must be {} MiB' : ", memory.describe()));
    }
    // An unknown cpu is reported by `cpu_rule`; do not report it twice.
    rule.push_str("true");
    choice.push_str("'cpu is not a Fargate size'");
    // Only constant strings: the apiserver estimates `string(int)` as unbounded and refuses the CRD.
    let message = format!(
        "'memory is not a valid Fargate size for this cpu: ' + ({choice}) + ' (valid pairs, cpu: memory MiB: {})'",
        describe_table()
    );
    Rule::new(rule).message(Message::Expression(message)).field_path(".memory")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_matches_the_documented_pairs() {
        assert!(is_valid(256, 512) && is_valid(256, 1024) && is_valid(256, 2048));
        assert!(!is_valid(256, 1536) && !is_valid(256, 4096) && !is_valid(256, 256));
        assert!(is_valid(512, 1024) && is_valid(512, 3072) && is_valid(512, 4096));
        assert!(!is_valid(512, 512) && !is_valid(512, 1536) && !is_valid(512, 5120));
        assert!(is_valid(1024, 2048) && is_valid(1024, 8192) && !is_valid(1024, 1024) && !is_valid(1024, 9216));
        assert!(is_valid(2048, 4096) && is_valid(2048, 16384) && !is_valid(2048, 17408));
        assert!(is_valid(4096, 8192) && is_valid(4096, 30720) && !is_valid(4096, 31744));
        assert!(is_valid(8192, 16384) && is_valid(8192, 20480) && is_valid(8192, 61440));
        assert!(!is_valid(8192, 17408), "8 vCPU steps by 4096");
        assert!(is_valid(16384, 32768) && is_valid(16384, 40960) && is_valid(16384, 122880));
        assert!(!is_valid(16384, 36864), "16 vCPU steps by 8192");
        assert!(!is_valid(128, 512) && !is_valid(3072, 8192), "not Fargate CPU sizes");
    }

    #[test]
    fn values_enumerate_each_row() {
        assert_eq!(memory_choices(256).map(MemoryChoices::values), Some(vec![512, 1024, 2048]));
        assert_eq!(memory_choices(512).map(MemoryChoices::values), Some(vec![1024, 2048, 3072, 4096]));
        assert_eq!(memory_choices(4096).map(|m| m.values().len()), Some(23));
        assert_eq!(memory_choices(8192).map(|m| m.values().len()), Some(12));
        assert_eq!(memory_choices(16384).map(|m| m.values().len()), Some(12));
        for (cpu, m) in TABLE {
            assert!(m.values().iter().all(|&mem| is_valid(cpu, mem)), "{cpu}");
        }
        assert_eq!(memory_choices(100), None);
    }

    #[test]
    fn descriptions_read_well() {
        assert_eq!(MemoryChoices::List(&[512, 1024, 2048]).describe(), "512, 1024 or 2048");
        assert_eq!(MemoryChoices::List(&[512]).describe(), "512");
        assert!(describe_table().starts_with("256: 512, 1024 or 2048; 512: 1024 to 4096 in steps of 1024;"));
        assert!(describe_table().ends_with("16384: 32768 to 122880 in steps of 8192"));
    }

    #[test]
    fn cel_rules_cover_every_row() {
        let cpu = cpu_rule();
        assert_eq!(cpu.rule, "self.cpu in [256, 512, 1024, 2048, 4096, 8192, 16384]");
        let memory = memory_rule();
        assert!(memory.rule.starts_with("self.cpu == 256 ? (self.memory in [512, 1024, 2048]) : "));
        assert!(memory.rule.contains(
            "self.cpu == 8192 ? (self.memory >= 16384 && self.memory <= 61440 && (self.memory - 16384) % 4096 == 0)"
        ));
        assert!(memory.rule.ends_with(": true"));
        let Some(Message::Expression(message)) = memory.message else {
            panic!("the memory rule explains itself with a messageExpression");
        };
        assert!(
            message.contains("self.cpu == 512 ? 'with cpu 512, memory must be 1024 to 4096 in steps of 1024 MiB'"),
            "{message}"
        );
        assert!(!message.contains("string("), "string(int) makes the apiserver's cost estimate unbounded");
        assert!(message.contains(&describe_table()));
        assert!(!message.contains('\n'), "CEL messages must be one line");
    }
}
