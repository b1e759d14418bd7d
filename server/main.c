/* billkeyd entry point (placeholder while modules land). */
int main(void);
int main(void) { return 0; }
