import { render, screen } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import { AlsoOpenBy } from "./AlsoOpenBy";

const viewer = (user_id: number, name: string) => ({ user_id, name });

describe("AlsoOpenBy", () => {
  it("says nothing when nobody else has the add-on open", () => {
    const { container } = render(<AlsoOpenBy viewers={[]} />);
    expect(container.textContent).toBe("");
  });

  it("names the other reviewers, and counts the rest past three", () => {
    render(<AlsoOpenBy viewers={[viewer(1, "Ada"), viewer(2, "Bo")]} />);
    expect(screen.getByTestId("also-open").textContent).toBe("Also open by Ada, Bo");
  });

  it("keeps every name on hover when the list is cut", () => {
    const many = ["Ada", "Bo", "Cy", "Di", "Ed"].map((n, i) => viewer(i, n));
    render(<AlsoOpenBy viewers={many} />);
    const shown = screen.getByTestId("also-open");
    expect(shown.textContent).toBe("Also open by Ada, Bo, Cy and 2 more");
    expect(shown.getAttribute("title")).toBe("Also open by Ada, Bo, Cy, Di, Ed");
  });
});
