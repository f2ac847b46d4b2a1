import { commands } from "../ipc";
import { useCommand } from "./useCommand";

/** The app version, data folder and cache schema version, from `app_info`. */
export function useAppInfo() {
  return useCommand(commands.appInfo);
}
