import { cleanup } from "@testing-library/react";
import { clearMocks } from "@tauri-apps/api/mocks";
import { afterEach } from "vitest";
import { resetNavigation } from "./lib/navigation";

afterEach(() => {
  cleanup();
  clearMocks();
  window.location.hash = "";
  resetNavigation();
});
