import { Component, type ErrorInfo, type ReactNode } from "react";

type Props = { view: string; children: ReactNode };
type State = { error: Error | null };

/**
 * Keeps one view's render failure inside that view: the frame and the other views stay usable,
 * and the failure is shown (and logged) instead of a blank window.
 */
export class ErrorBoundary extends Component<Props, State> {
  state: State = { error: null };

  static getDerivedStateFromError(error: Error): State {
    return { error };
  }

  componentDidCatch(error: Error, info: ErrorInfo) {
    console.error(`view ${this.props.view} failed to render`, error, info.componentStack);
  }

  componentDidUpdate(prev: Props) {
    if (prev.view !== this.props.view && this.state.error) this.setState({ error: null });
  }

  render() {
    if (this.state.error) {
      return (
        <div className="view-error" role="alert" data-testid="view-error">
          <h1>This view failed to render</h1>
          <p>{this.state.error.message}</p>
        </div>
      );
    }
    return this.props.children;
  }
}
