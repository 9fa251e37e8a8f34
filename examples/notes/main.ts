// The demo server that `npm start` runs: gatehouse's accounts plus the notes example.
import { runGatehouse } from 'gatehouse';
import { loaders, migrations, resolvers, typeDefs } from './index';

runGatehouse({ typeDefs, resolvers, loaders, migrations });
