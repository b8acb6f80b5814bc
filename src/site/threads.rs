//! The build's concurrency, in two shapes: work running on a thread of its own until its
//! value is first needed ([`Pending`]), and two pieces of work side by side ([`beside`]).
//! A panic on either thread is raised again where its value is taken.

use std::thread::JoinHandle;

/// A value being made on a thread of its own.
pub struct Pending<T> {
    thread: Option<JoinHandle<T>>,
    value: Option<T>,
}

impl<T: Send + 'static> Pending<T> {
    /// Starts making the value on a thread called `name`.
    pub fn spawn(name: &str, make: impl FnOnce() -> T + Send + 'static) -> Pending<T> {
        let thread = std::thread::Builder::new().name(name.to_owned()).spawn(make);
        let thread = thread.unwrap_or_else(|e| panic!("the {name} thread starts: {e}"));
        Pending { thread: Some(thread), value: None }
    }

    /// The value, waiting for it the first time.
    pub fn get(&mut self) -> &mut T {
        if let Some(thread) = self.thread.take() {
            self.value = Some(joined(thread));
        }
        self.value.as_mut().expect("a thread's value is kept once taken")
    }

    /// The value, waiting for it.
    pub fn wait(mut self) -> T {
        self.get();
        self.value.take().expect("taken above")
    }
}

/// What `thread` returned; its panic, raised here.
fn joined<T>(thread: JoinHandle<T>) -> T {
    raised(thread.join())
}

/// A joined thread's value; its panic, raised here.
fn raised<T>(joined: std::thread::Result<T>) -> T {
    joined.unwrap_or_else(|panic| std::panic::resume_unwind(panic))
}

/// Runs `first` on a thread called `name` while `second` runs on this one; both values.
pub fn beside<A: Send, B>(
    name: &str,
    first: impl FnOnce() -> A + Send,
    second: impl FnOnce() -> B,
) -> (A, B) {
    std::thread::scope(|scope| {
        let thread = std::thread::Builder::new().name(name.to_owned()).spawn_scoped(scope, first);
        let thread = thread.unwrap_or_else(|e| panic!("the {name} thread starts: {e}"));
        let second = second();
        (raised(thread.join()), second)
    })
}
