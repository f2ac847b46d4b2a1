import { useEffect, useRef, type ReactNode } from "react";

type Props = { id: string; title: string; children: ReactNode; active?: boolean };

/**
 * One view's frame. Its heading takes focus when the view opens, so keyboard and screen-reader
 * users land at the start of the new content instead of staying on the sidebar link.
 */
export function ViewFrame({ id, title, children, active = true }: Props) {
  const heading = useRef<HTMLHeadingElement>(null);
  useEffect(() => {
    if (active) heading.current?.focus({ preventScroll: true });
  }, [id, active]);
  return (
    <section className="view" data-testid={`view-${id}`} aria-labelledby={`view-${id}-title`}>
      <h1 id={`view-${id}-title`} ref={heading} tabIndex={-1}>
        {title}
      </h1>
      {children}
    </section>
  );
}
