"""One router per page family; each handler asks the stack over HTTP and renders a template."""
