use actor_core::prelude::*;

#[actor]
pub struct Journal {
    lines: Vec<String>,
}

#[actor]
impl Journal {
    #[stopped]
    fn bye(self) {
        drop(self.lines);
    }

    #[message]
    pub fn write(&mut self, line: String) {
        self.lines.push(line);
    }
}

fn main() {}
