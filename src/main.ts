// gatehouse's accounts alone (sign-up, login, API keys, users, audit), configured from the
// environment. `gatehouse start [module]` serves an application's schema beside them.
import { runGatehouse } from './gatehouse';

runGatehouse();
