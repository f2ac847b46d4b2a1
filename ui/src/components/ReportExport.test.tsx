import { render, screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { mockIPC } from "@tauri-apps/api/mocks";
import { describe, expect, it } from "vitest";
import { ReportExport } from "./ReportExport";

describe("ReportExport", () => {
  it("writes to the reports folder or a folder the app's dialog picks, never a typed path", async () => {
    const asked: Array<{ cmd: string; args: unknown }> = [];
    mockIPC((cmd, args) => {
      asked.push({ cmd, args });
      if (cmd === "default_report_dir") return "/data/reports/versions-1-to-2";
      if (cmd === "export_report") {
        const dir = (args as { chooseFolder: boolean }).chooseFolder ? "/picked" : "/data/reports/versions-1-to-2";
        return { html: `${dir}/report.html`, markdown: `${dir}/report.md` };
      }
      throw new Error(`unexpected ${cmd}`);
    });
    const user = userEvent.setup();
    render(<ReportExport oldId={1} newId={2} />);
    const dir = await screen.findByDisplayValue<HTMLInputElement>("/data/reports/versions-1-to-2");
    expect(dir.readOnly).toBe(true);
    await user.click(screen.getByTestId("report-export"));
    expect((await screen.findByTestId("report-html")).textContent).toBe("/data/reports/versions-1-to-2/report.html");
    expect(asked).toContainEqual({ cmd: "export_report", args: { old: 1, new: 2, chooseFolder: false } });
    await user.click(screen.getByTestId("report-export-to"));
    expect((await screen.findByText("/picked/report.md")).dataset.testid).toBe("report-md");
    expect(asked).toContainEqual({ cmd: "export_report", args: { old: 1, new: 2, chooseFolder: true } });
  });

  it("shows the core's error when the folder cannot be written", async () => {
    mockIPC((cmd) => {
      if (cmd === "default_report_dir") return "/data/reports/x";
      throw { code: "report", message: "cannot write /data/reports/x/report.html: Permission denied" };
    });
    const user = userEvent.setup();
    render(<ReportExport oldId={1} newId={2} />);
    await screen.findByDisplayValue("/data/reports/x");
    await user.click(screen.getByTestId("report-export"));
    expect((await screen.findByTestId("report-error")).textContent).toContain("Permission denied");
    expect(screen.queryByTestId("report-written")).toBeNull();
  });
});
